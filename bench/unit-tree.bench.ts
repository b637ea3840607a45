/**
 * Issue 2: subtree listing and roll-up counts on a tree of 10,000 units and 200,000 people —
 * target under 20 ms each.
 */
import { benchDatabase, median, report, timesAsync } from "./lib.ts";
import { listSubtree, rollUpCounts } from "../src/domain/units/unit-service.ts";
import { buildUnitTree } from "./support/unit-tree-data.ts";

const db = await benchDatabase();
const { rootId, communeIds, units } = await buildUnitTree(db);

async function measure(fn: () => unknown, runs = 20): Promise<number[]> {
  await fn();
  return timesAsync(runs, fn);
}
const listWhole = await measure(() => listSubtree(db, rootId));
const listCommune = await measure(() => listSubtree(db, communeIds[42]!));
const rollWhole = await measure(() => rollUpCounts(db, rootId));
const rollCommune = await measure(() => rollUpCounts(db, communeIds[42]!));
const total = (await rollUpCounts(db, rootId))[0]!;
report(
  "unit tree",
  {
    units,
    people: 200_000,
    rootMembersTotal: total.membersTotal,
    listSubtreeWholeMs: median(listWhole).toFixed(1),
    listSubtreeCommuneMs: median(listCommune).toFixed(2),
    rollUpWholeMs: median(rollWhole).toFixed(1),
    rollUpCommuneMs: median(rollCommune).toFixed(2),
  },
  "< 20 ms each",
);
await db.destroy();
