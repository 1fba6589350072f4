import { LABEL_FEATURES } from "./labelRecord";

/**
 * The label feature group's offline store as a table. Feature Store writes every put as a Parquet row under
 * `feature-store/` (DATA_LAKE_PREFIXES.labelStoreOffline, in `<account>/sagemaker/<region>/offline-store/<group>-<time>/
 * data/year=…/` folders), a few minutes after the online store has it. The LabelStore component declares the Glue
 * table over that prefix itself (Feature Store's own table creation is off), so its name is known before the group
 * exists; Athena reads every file under a table's location, the dated folders included. Its columns are the label
 * features by name (Feature Store's own columns, such as `write_time`, are in the files and left out here).
 */
export function labelStoreCatalogNames(namePrefix: string): { database: string; table: string; workgroup: string } {
  return {
    database: `${namePrefix.replace(/-/g, "_")}_labels`,
    table: "offline_store",
    workgroup: `${namePrefix}-labels`,
  };
}

/** Feature Store's feature types as the Parquet columns of its offline store hold them. */
const GLUE_TYPES = { String: "string", Integral: "bigint", Fractional: "double" } as const;

export function labelStoreGlueColumns(): { name: string; type: string }[] {
  return Object.entries(LABEL_FEATURES).map(([name, feature]) => ({ name, type: GLUE_TYPES[feature.type] }));
}

/** How engines name the table in SQL: `"database"."table"`. */
export function labelStoreTableSql(names: { database: string; table: string }): string {
  return `"${names.database}"."${names.table}"`;
}
