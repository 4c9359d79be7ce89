import { ItemStatus, parse } from '@batch/contracts';
import type { ItemView } from '@batch/client';
import { connect, defineCommand, JSON_OPTION, positionalsOf } from '../command-line.js';
import { columnWidths, ITEM_COLUMNS, itemRow, tableRows } from '../format.js';

/** Items are printed a page at a time, so a batch of any size lists in bounded memory. */
const PAGE_SIZE = 500;

export const itemsCommand = defineCommand({
  name: 'items',
  usage: `items <batchId> [--status ${ItemStatus.options.join('|')}] [--json]`,
  summary: 'list the items of a batch, with the error of each failed one (--json: one JSON line each)',
  options: { status: { type: 'string' }, ...JSON_OPTION },
  choices: { status: ItemStatus.options },
  async run({ values, positionals }, { env }) {
    const [batchId] = positionalsOf(itemsCommand, positionals, ['batchId']);
    const status = values.status === undefined ? undefined : parse(ItemStatus, values.status, '--status');
    const client = connect(values, env);
    const render = values.json ? jsonLines : tableInPages();
    let page: ItemView[] = [];
    let count = 0;
    for await (const item of client.allItems(batchId, { status, limit: PAGE_SIZE })) {
      page.push(item);
      count += 1;
      if (page.length === PAGE_SIZE) {
        process.stdout.write(render(page));
        page = [];
      }
    }
    process.stdout.write(render(page));
    if (!values.json) process.stderr.write(`${count} ${status === undefined ? '' : `${status} `}items\n`);
    return 0;
  },
});

const jsonLines = (items: ItemView[]) => items.map((item) => `${JSON.stringify(item)}\n`).join('');

/** One table across pages: the header once, the columns as wide as the first page needs. */
function tableInPages(): (items: ItemView[]) => string {
  let widths: number[] | undefined;
  return (items) => {
    const rows = items.map(itemRow);
    if (widths !== undefined) return tableRows(rows, widths);
    widths = columnWidths(ITEM_COLUMNS, rows);
    return tableRows([ITEM_COLUMNS, ...rows], widths);
  };
}
