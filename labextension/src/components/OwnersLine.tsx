/**
 * A model's owners in the Models section: who is notified of its events and,
 * under the policy `approvers: owners`, who may approve. Without owners the
 * model's creator is notified. "Edit owners…" asks the application to open
 * the owners dialog; the server decides who may change them.
 */
import * as React from 'react';

import { trans } from '../i18n';

export function OwnersLine(props: {
  owners: string[] | undefined;
  creator: string;
  onEdit: (owners: string[]) => void;
}): JSX.Element {
  const owners = props.owners ?? [];
  return (
    <div className="jp-mlops-Owners" data-owners={owners.join(' ')}>
      <span className="jp-mlops-Owners-names jp-mlops-Muted">
        {owners.length > 0
          ? trans.__('owners: %1', owners.join(', '))
          : trans.__('owner: %1 (creator; no owners set)', props.creator)}
      </span>
      <button
        className="jp-mlops-LinkButton jp-mlops-Owners-edit"
        title={trans.__(
          'Set who owns this model (allowed for its creator, an owner or an admin)'
        )}
        onClick={() => props.onEdit(owners)}
      >
        {trans.__('Edit owners…')}
      </button>
    </div>
  );
}
