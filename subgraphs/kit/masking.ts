/**
 * Masks personal data for callers whose role and purpose do not need it in full: keeps the first
 * and last few characters (3201**********8039, 张*, 上海市黄浦区****).
 */
export function mask(value: string): string {
  const chars = [...value];
  if (chars.length <= 2) return chars[0] + '*';
  if (chars.length <= 8) return chars[0] + '*'.repeat(chars.length - 2) + chars.at(-1);
  const keep = Math.min(6, Math.floor(chars.length / 4));
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - 2 * keep) + chars.slice(-keep).join('');
}
