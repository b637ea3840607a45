/**
 * Demo data: a believable organisation (a province, two communes, four branches, about 40 members
 * with Vietnamese names) so a newcomer can try the bot in the local web chat. Written only into the
 * demo database file (./data/demo.db), never into a real one.
 */
import { systemActor } from "../domain/access/actor.ts";
import type { Database } from "../storage/database.ts";
import { createOrganisation, createUnit, type UnitRow } from "../domain/units/unit-service.ts";
import { addMembership, createPerson } from "../domain/people/people-service.ts";
import { hasDemoOrganisation } from "../domain/organisations/organisation-presence.ts";

const families = [
  "Nguyễn",
  "Trần",
  "Lê",
  "Phạm",
  "Hoàng",
  "Huỳnh",
  "Phan",
  "Vũ",
  "Võ",
  "Đặng",
  "Bùi",
  "Đỗ",
  "Hồ",
  "Ngô",
  "Dương",
];
const middlesMale = ["Văn", "Đức", "Hữu", "Minh", "Quang", "Công"];
const middlesFemale = ["Thị", "Ngọc", "Thanh", "Kim"];
const givenMale = [
  "An",
  "Bình",
  "Cường",
  "Dũng",
  "Hùng",
  "Hải",
  "Nam",
  "Phúc",
  "Sơn",
  "Thắng",
  "Tuấn",
  "Vinh",
  "Lộc",
  "Thành",
  "Tâm",
  "Long",
];
const givenFemale = ["Hoa", "Lan", "Mai", "Xuân", "Yến", "Hạnh", "Hương", "Liên", "Nga", "Thủy"];

export interface DemoSeedResult {
  organisationId: number;
  rootUnitId: number;
  branches: UnitRow[];
  cadreIds: number[];
  memberIds: number[];
}

/** True when the database already holds the demo organisation. */
export async function isSeeded(db: Database): Promise<boolean> {
  return await hasDemoOrganisation(db);
}

/** Seeds the demo organisation (people, units). Meetings, directives and tickets are added by their services' demo hooks. */
export async function seedDemoOrganisation(db: Database, now = new Date()): Promise<DemoSeedResult> {
  return await db.transaction(async () => {
    const { id: organisationId } = await createOrganisation(
      db,
      systemActor(),
      { code: "demo-ccb", name: "Hội Cựu chiến binh (demo)", isDemo: true },
      now,
    );
    const province = await createUnit(
      db,
      systemActor(),
      { organisationId, name: "Hội CCB tỉnh Quảng Trị", levelLabel: "Tỉnh" },
      now,
    );
    const communes = [
      await createUnit(
        db,
        systemActor(),
        { parentId: province.id, name: "Hội CCB xã Triệu Phong", levelLabel: "Xã" },
        now,
      ),
      await createUnit(
        db,
        systemActor(),
        { parentId: province.id, name: "Hội CCB phường Đông Hà", levelLabel: "Phường" },
        now,
      ),
    ];
    const branches = [
      await createUnit(
        db,
        systemActor(),
        { parentId: communes[0]!.id, name: "Chi hội thôn An Lợi", levelLabel: "Chi hội" },
        now,
      ),
      await createUnit(
        db,
        systemActor(),
        { parentId: communes[0]!.id, name: "Chi hội thôn Phú Liêu", levelLabel: "Chi hội" },
        now,
      ),
      await createUnit(
        db,
        systemActor(),
        { parentId: communes[1]!.id, name: "Chi hội khu phố 3", levelLabel: "Chi hội" },
        now,
      ),
      await createUnit(
        db,
        systemActor(),
        { parentId: communes[1]!.id, name: "Chi hội khu phố 7", levelLabel: "Chi hội" },
        now,
      ),
    ];
    const cadreIds: number[] = [];
    const memberIds: number[] = [];
    let n = 0;
    for (const [b, branch] of branches.entries()) {
      for (let i = 0; i < 10; i++, n++) {
        const female = n % 5 === 3;
        const fullName = [
          families[(n * 7) % families.length],
          (female ? middlesFemale : middlesMale)[n % (female ? middlesFemale.length : middlesMale.length)],
          (female ? givenFemale : givenMale)[(n * 3 + b) % (female ? givenFemale.length : givenMale.length)],
        ].join(" ");
        const person = await createPerson(
          db,
          {
            fullName,
            // Demo numbers in a range no real subscriber has (09000000xx).
            phone: i === 9 ? null : `09000${String(n).padStart(5, "0")}`,
            birthYear: 1945 + ((n * 13) % 40),
            gender: female ? "nu" : "nam",
            note: i === 9 ? "Không dùng điện thoại" : null,
            isDemo: true,
          },
          now,
        );
        await addMembership(db, {
          actor: systemActor(),
          personId: person.id,
          unitId: branch.id,
          role: "member",
          title: null,
          now,
        });
        if (i === 0) {
          await addMembership(db, {
            actor: systemActor(),
            personId: person.id,
            unitId: branch.id,
            role: "cadre",
            title: "Chi hội trưởng",
            now,
          });
          cadreIds.push(person.id);
        } else memberIds.push(person.id);
      }
    }
    // An official of the first commune and an admin of the province.
    const official = await createPerson(
      db,
      { fullName: "Trần Quốc Khánh", phone: "0900000901", birthYear: 1962, gender: "nam", isDemo: true },
      now,
    );
    await addMembership(db, {
      actor: systemActor(),
      personId: official.id,
      unitId: communes[0]!.id,
      role: "official",
      title: "Chủ tịch Hội CCB xã",
      now,
    });
    const admin = await createPerson(
      db,
      { fullName: "Lê Minh Quản", phone: "0900000902", birthYear: 1985, gender: "nam", isDemo: true },
      now,
    );
    await addMembership(db, {
      actor: systemActor(),
      personId: admin.id,
      unitId: province.id,
      role: "admin",
      title: "Cán bộ văn phòng",
      now,
    });
    cadreIds.push(official.id, admin.id);
    return { organisationId, rootUnitId: province.id, branches, cadreIds, memberIds };
  });
}
