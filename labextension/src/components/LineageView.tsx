/**
 * The Lineage section: the graph around the selected run or model version.
 */
import * as React from 'react';

import { LineageFocus, MlopsModel } from '../model';
import { ILineageNode } from '../types';
import { shortId } from './format';
import { useLoad, useSignals } from './hooks';
import { LineageGraphView } from './LineageGraph';
import { trans } from '../i18n';

/** The id `GET lineage/{id}` takes for a focus. */
export function lineageId(focus: LineageFocus): string {
  return focus.kind === 'run'
    ? focus.id
    : `models:/${focus.name}/${focus.version}`;
}

function focusLabel(focus: LineageFocus): string {
  return focus.kind === 'run'
    ? `run ${shortId(focus.id)}`
    : `${focus.name} v${focus.version}`;
}

/** A model-version node id (`model_version:NAME/3`) as a focus. */
export function focusOfNode(node: ILineageNode): LineageFocus | null {
  if (node.type === 'run') {
    return { kind: 'run', id: node.node_id };
  }
  if (node.type === 'model_version') {
    const match = /^(.*)\/(\d+)$/.exec(node.node_id);
    if (match) {
      return {
        kind: 'model_version',
        id: node.node_id,
        name: match[1],
        version: Number(match[2])
      };
    }
  }
  return null;
}

export function LineageView(props: {
  model: MlopsModel;
  onOpenRun: (runId: string) => void;
}): JSX.Element {
  const { model } = props;
  useSignals(model.lineageFocusChanged);
  const focus = model.lineageFocus;
  const graph = useLoad(
    () => (focus ? model.lineage(lineageId(focus)) : Promise.resolve(null)),
    [focus ? lineageId(focus) : '']
  );
  if (!focus) {
    return (
      <p className="jp-mlops-Empty jp-mlops-LineageView">
        {trans.__(
          'Select a run or a model version to see where its data came from and what was made from it.'
        )}
      </p>
    );
  }
  const onNodeClick = (node: ILineageNode) => {
    const next = focusOfNode(node);
    if (next) {
      model.setLineageFocus(next);
    }
    if (node.type === 'run') {
      props.onOpenRun(node.node_id);
    }
  };
  return (
    <div className="jp-mlops-LineageView" data-focus={lineageId(focus)}>
      <div className="jp-mlops-Muted jp-mlops-LineageView-caption">
        {trans.__('Lineage of %1 (upstream and downstream)', focusLabel(focus))}
      </div>
      {graph.state === 'loading' && (
        <p className="jp-mlops-Muted">{trans.__('Loading…')}</p>
      )}
      {graph.state === 'error' && (
        <p className="jp-mlops-Error">{graph.message}</p>
      )}
      {graph.state === 'ready' && graph.value && (
        <LineageGraphView graph={graph.value} onNodeClick={onNodeClick} />
      )}
    </div>
  );
}
