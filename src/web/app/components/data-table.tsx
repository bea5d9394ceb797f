import { isValidElement, type ComponentChildren, type VNode } from 'preact';

/** A column header: its text, or a ready <th> (a sort button). */
export type Column = string | { label: string; num?: boolean; visuallyHidden?: boolean } | VNode;

/**
 * Every list table of the console: a focusable scroll region with its own name (so a wide
 * table can be scrolled by keyboard and axe finds a unique landmark), a caption for screen
 * readers, and rows that become cards on a phone (.table-stack, each cell's data-label).
 */
export function DataTable(props: {
  id: string;
  caption: string;
  testid: string;
  columns: Column[];
  children: ComponentChildren;
  hidden?: boolean;
  busy?: boolean;
  class?: string;
  tableId?: string;
  bodyId?: string;
}) {
  const captionId = `${props.id}-caption`;
  return (
    <div class="table-wrap" role="region" aria-labelledby={captionId} tabIndex={0} hidden={props.hidden}>
      <table class={`table table-stack${props.class ? ` ${props.class}` : ''}`} id={props.tableId} data-testid={props.testid} aria-busy={props.busy || undefined}>
        <caption id={captionId} class="visually-hidden">
          {props.caption}
        </caption>
        <thead>
          <tr>
            {props.columns.map((column, i) => {
              if (isValidElement(column)) return column;
              const c = typeof column === 'string' ? { label: column } : (column as { label: string; num?: boolean; visuallyHidden?: boolean });
              return (
                <th key={i} scope="col" class={c.num ? 'num' : undefined}>
                  {c.visuallyHidden ? <span class="visually-hidden">{c.label}</span> : c.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody id={props.bodyId}>{props.children}</tbody>
      </table>
    </div>
  );
}
