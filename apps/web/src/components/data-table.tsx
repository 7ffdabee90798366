import type { ReactNode } from "react";

/** `data-*` attributes, which tests select rows and cells by. */
export type DataAttributes = {
  [name: `data-${string}`]: string | number | undefined;
};

/** One column of a DataTable: its heading and how a row fills its cell. */
export interface Column<Row> {
  /** The heading: words, or an element (a visually hidden name for a column of buttons). */
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** The cell's class: `num` for numbers, `small` for long lists. */
  className?: string;
  /** The cell's `data-*` attributes, the same on every row. */
  data?: DataAttributes;
  /** The cell names its row (`<th scope="row">`), as a table's first column often does. */
  rowHeader?: boolean;
}

/**
 * The portal's table (`table.grid`): a heading per column and a row per item,
 * every heading scoped, so screen readers name each cell by its column. Empty
 * tables are the caller's to replace with a sentence, unless `empty` is given:
 * then the table stays, with that sentence as its one row.
 */
export function DataTable<Row>({
  columns,
  rows,
  rowKey,
  rowData,
  testId,
  caption,
  empty,
}: {
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row, index: number) => string | number;
  /** Each row's `data-*` attributes. */
  rowData?: (row: Row) => DataAttributes;
  testId?: string;
  /** A name for the table that only screen readers show. */
  caption?: string;
  empty?: ReactNode;
}) {
  return (
    <table className="grid" data-testid={testId}>
      {caption !== undefined && (
        <caption className="visually-hidden">{caption}</caption>
      )}
      <thead>
        <tr>
          {columns.map((column, j) => (
            <th key={j} scope="col">
              {column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && empty !== undefined && (
          <tr>
            <td colSpan={columns.length}>{empty}</td>
          </tr>
        )}
        {rows.map((row, i) => (
          <tr key={rowKey(row, i)} {...rowData?.(row)}>
            {columns.map((column, j) => (
              <Cell key={j} column={column} row={row} />
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Cell<Row>({ column, row }: { column: Column<Row>; row: Row }) {
  const Tag = column.rowHeader ? "th" : "td";
  return (
    <Tag
      scope={column.rowHeader ? "row" : undefined}
      className={column.className}
      {...column.data}
    >
      {column.cell(row)}
    </Tag>
  );
}
