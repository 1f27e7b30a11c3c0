/**
 * Small-count suppression for analysts' figures. A figure is a count of people's credentials,
 * verifications or disputes; a cell counting one or two people can single them out ("the one
 * revoked e-seal issued in Hebei in March"), so any cell below the minimum is shown as suppressed.
 *
 * Suppressing one cell is not enough where totals are published elsewhere: the hidden count would
 * be the total minus the cells shown. So within each group whose total is known, a lone suppressed
 * cell takes the group's smallest other cell with it (secondary suppression), until no group has
 * exactly one hidden cell.
 */
import { z } from 'zod';

export const figuresEnv = {
  /** The smallest count a figure shows; smaller non-zero cells are suppressed. */
  HUTONG_FIGURES_MIN_CELL: z.coerce.number({ message: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(5),
};

export const DEFAULT_MIN_CELL = 5;

/** The minimum cell count from the environment, checked (at start-up, with the other variables). */
export function minCellFrom(env: Record<string, string | undefined>): number {
  return z.object(figuresEnv).parse({ HUTONG_FIGURES_MIN_CELL: env.HUTONG_FIGURES_MIN_CELL }).HUTONG_FIGURES_MIN_CELL;
}

export interface Cell {
  count: number;
}

export type Shown<T extends Cell> = Omit<T, 'count'> & { count: number | null; suppressed: boolean };

/**
 * `cells` with every count below `minCell` suppressed, and secondary suppression within each group
 * `groupsOf(cell)` names (groups whose totals are published). Zero cells are dropped: an empty cell
 * is simply not listed.
 */
export function suppressSmallCells<T extends Cell>(cells: readonly T[], minCell: number, groupsOf: (cell: T) => readonly string[] = () => []): Shown<T>[] {
  const listed = cells.filter((c) => c.count > 0);
  const hidden = new Set<number>(listed.flatMap((c, i) => (c.count < minCell ? [i] : [])));
  const members = new Map<string, number[]>();
  listed.forEach((c, i) => {
    for (const g of groupsOf(c)) members.set(g, [...(members.get(g) ?? []), i]);
  });
  // Each pass hides at least one more cell, so this ends.
  for (let changed = true; changed; ) {
    changed = false;
    for (const indexes of members.values()) {
      const hiddenHere = indexes.filter((i) => hidden.has(i));
      if (hiddenHere.length !== 1) continue;
      const smallest = indexes.filter((i) => !hidden.has(i)).sort((a, b) => listed[a]!.count - listed[b]!.count)[0];
      if (smallest === undefined) continue;
      hidden.add(smallest);
      changed = true;
    }
  }
  return listed.map((c, i) => (hidden.has(i) ? { ...c, count: null, suppressed: true } : { ...c, suppressed: false }));
}
