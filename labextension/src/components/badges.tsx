/**
 * Small coloured labels: run status, approval state, alias, check status.
 */
import * as React from 'react';

export function StatusBadge(props: { status: string }): JSX.Element {
  return (
    <span
      className={`jp-mlops-Badge jp-mlops-Status jp-mlops-Status-${props.status}`}
      title={props.status}
    >
      {props.status}
    </span>
  );
}

const APPROVAL_LABELS: Record<string, string> = {
  registered: 'not reviewed',
  pending: 'pending'
};

export function ApprovalBadge(props: { state: string }): JSX.Element {
  return (
    <span
      className={`jp-mlops-Badge jp-mlops-Approval jp-mlops-Approval-${props.state}`}
      title={`approval: ${props.state}`}
    >
      {APPROVAL_LABELS[props.state] ?? props.state}
    </span>
  );
}

export function AliasBadge(props: { alias: string }): JSX.Element {
  return (
    <span
      className={`jp-mlops-Badge jp-mlops-Alias${props.alias === 'production' ? ' jp-mlops-Alias-production' : ''}`}
      title={`alias ${props.alias}`}
    >
      @{props.alias}
    </span>
  );
}

export function CheckBadge(props: { status: string }): JSX.Element {
  return (
    <span
      className={`jp-mlops-Badge jp-mlops-Check jp-mlops-Check-${props.status}`}
    >
      {props.status}
    </span>
  );
}
