import { ItemSpec, itemBytes, MAX_ITEM_BYTES, validate } from '@batch/contracts';

/** A numeric id is taken as its text; a missing one is the line number. */
export function validItem(
  fields: Record<string, unknown>,
  line: number,
  fail: (reason: string) => Error,
): ItemSpec {
  const id = fields['id'] ?? String(line);
  const result = validate(ItemSpec, { ...fields, id: typeof id === 'number' ? String(id) : id });
  if (!result.success)
    throw fail(result.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '));
  if (itemBytes(result.data) > MAX_ITEM_BYTES) throw fail(`the item is over ${MAX_ITEM_BYTES} bytes as JSON`);
  return result.data;
}
