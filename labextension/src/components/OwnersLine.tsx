/**
 * A model's owners in the Models section: who is notified of its events and,
 * under the policy `approvers: owners`, who may approve. Without owners the
 * model's creator is notified.
 */
import * as React from 'react';

import { trans } from '../i18n';

export function OwnersLine(props: {
  owners: string[] | undefined;
  creator: string;
}): JSX.Element {
  const owners = props.owners ?? [];
  return (
    <div
      className="jp-mlops-Owners jp-mlops-Muted"
      data-owners={owners.join(' ')}
    >
      {owners.length > 0
        ? trans.__('owners: %1', owners.join(', '))
        : trans.__('owner: %1 (creator; no owners set)', props.creator)}
    </div>
  );
}
