/**
 * A lineage graph (datasets, runs, model versions) laid out left to right
 * by dagre and drawn as SVG: data flows along the arrows.
 */
import * as dagre from '@dagrejs/dagre';
import * as React from 'react';

import { ILineageGraph, ILineageNode } from '../types';
import { trans } from '../i18n';

const NODE_HEIGHT = 30;
const CHAR_WIDTH = 6.4;
const MIN_WIDTH = 70;
const MAX_LABEL = 28;

export interface IPlacedNode {
  node: ILineageNode;
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
}

export interface IPlacedEdge {
  source: string;
  target: string;
  role: string;
  points: { x: number; y: number }[];
}

export interface ILineageLayout {
  width: number;
  height: number;
  nodes: IPlacedNode[];
  edges: IPlacedEdge[];
}

function shortLabel(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
}

/**
 * Place the graph's nodes and route its edges (pure; tested on its own).
 */
// only what the layout reads (a graph without `roots`, as tests build them, lays out the same)
export function layoutLineage(
  graph: Omit<ILineageGraph, 'roots'>
): ILineageLayout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({
    rankdir: 'LR',
    nodesep: 14,
    ranksep: 46,
    marginx: 8,
    marginy: 8
  });
  g.setDefaultEdgeLabel(() => ({}));
  const known = new Set(graph.nodes.map(node => node.id));
  for (const node of graph.nodes) {
    const label = shortLabel(node.label);
    g.setNode(node.id, {
      width: Math.max(MIN_WIDTH, label.length * CHAR_WIDTH + 24),
      height: NODE_HEIGHT,
      label
    });
  }
  graph.edges.forEach((edge, index) => {
    if (known.has(edge.source) && known.has(edge.target)) {
      g.setEdge(edge.source, edge.target, { role: edge.role }, `e${index}`);
    }
  });
  dagre.layout(g);
  const byId = new Map(graph.nodes.map(node => [node.id, node]));
  const nodes = g.nodes().map((id: string): IPlacedNode => {
    const placed = g.node(id);
    return {
      node: byId.get(id)!,
      x: placed.x,
      y: placed.y,
      width: placed.width,
      height: placed.height,
      label: placed.label as string
    };
  });
  const edges = g.edges().map((e): IPlacedEdge => {
    const placed = g.edge(e);
    return {
      source: e.v,
      target: e.w,
      role: (placed as any).role ?? '',
      points: placed.points
    };
  });
  const size = g.graph();
  return {
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
    nodes,
    edges
  };
}

function NodeShape(props: { placed: IPlacedNode }): JSX.Element {
  const { x, y, width, height, node } = props.placed;
  const left = x - width / 2;
  const top = y - height / 2;
  switch (node.type) {
    case 'dataset': {
      // a cylinder, the usual picture of stored data
      const ry = 4;
      return (
        <path
          d={`M${left},${top + ry} a${width / 2},${ry} 0 0,1 ${width},0 v${height - 2 * ry} a${width / 2},${ry} 0 0,1 ${-width},0 z M${left},${top + ry} a${width / 2},${ry} 0 0,0 ${width},0`}
        />
      );
    }
    case 'model_version': {
      const cut = 9;
      return (
        <polygon
          points={[
            [left + cut, top],
            [left + width - cut, top],
            [left + width, y],
            [left + width - cut, top + height],
            [left + cut, top + height],
            [left, y]
          ]
            .map(point => point.join(','))
            .join(' ')}
        />
      );
    }
    default:
      return <rect x={left} y={top} width={width} height={height} rx={4} />;
  }
}

function edgePath(points: { x: number; y: number }[]): string {
  return points
    .map(
      (point, i) =>
        `${i === 0 ? 'M' : 'L'}${point.x.toFixed(1)},${point.y.toFixed(1)}`
    )
    .join('');
}

export function LineageGraphView(props: {
  graph: ILineageGraph;
  onNodeClick?: (node: ILineageNode) => void;
}): JSX.Element {
  const { graph, onNodeClick } = props;
  const layout = React.useMemo(() => layoutLineage(graph), [graph]);
  if (graph.nodes.length <= 1 && graph.edges.length === 0) {
    return (
      <p className="jp-mlops-Empty">
        {trans.__(
          'No lineage recorded yet: data read or written inside a tracked cell (pandas IO, mj.log_input) and registered models appear here.'
        )}
      </p>
    );
  }
  return (
    <div className="jp-mlops-Lineage-canvas">
      <svg
        className="jp-mlops-Lineage-svg"
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="img"
        aria-label={trans.__('lineage graph')}
      >
        <defs>
          <marker
            id="jp-mlops-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path
              d="M0,0 L10,5 L0,10 z"
              className="jp-mlops-Lineage-arrowhead"
            />
          </marker>
        </defs>
        {layout.edges.map((edge, i) => (
          <path
            key={`${edge.source}-${edge.target}-${i}`}
            className={`jp-mlops-Lineage-edge jp-mlops-Lineage-edge-${edge.role}`}
            d={edgePath(edge.points)}
            markerEnd="url(#jp-mlops-arrow)"
          />
        ))}
        {layout.nodes.map(placed => (
          <g
            key={placed.node.id}
            className={`jp-mlops-Lineage-node jp-mlops-Lineage-${placed.node.type}${placed.node.id === graph.root ? ' jp-mod-root' : ''}`}
            data-node-id={placed.node.id}
            onClick={() => onNodeClick?.(placed.node)}
          >
            <title>{describeNode(placed.node)}</title>
            <NodeShape placed={placed} />
            <text
              x={placed.x}
              y={placed.y + (placed.node.type === 'dataset' ? 2 : 0)}
              dy="0.35em"
              textAnchor="middle"
            >
              {placed.label}
            </text>
          </g>
        ))}
      </svg>
      <ul className="jp-mlops-Lineage-legend">
        <li className="jp-mlops-Lineage-dataset">{trans.__('dataset')}</li>
        <li className="jp-mlops-Lineage-run">{trans.__('run')}</li>
        <li className="jp-mlops-Lineage-model_version">
          {trans.__('model version')}
        </li>
      </ul>
    </div>
  );
}

function describeNode(node: ILineageNode): string {
  const facts = Object.entries(node.attributes ?? {})
    .filter(
      ([, value]) =>
        value !== null && value !== undefined && typeof value !== 'object'
    )
    .map(([key, value]) => `${key}: ${value}`);
  return [`${node.type.replace('_', ' ')}: ${node.label}`, ...facts].join('\n');
}
