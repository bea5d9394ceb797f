// The sync engine's product rules: pure functions, one file each (STYLE.md rule 2).
export * from './email.rule';
export * from './last-name.rule';
export * from './phone.rule';
export * from './required-fields.rule';
export * from './scope.rule';
export * from './matching.rule';
export * from './employee-changes.rule';
export * from './link-state.rule';
export * from './removal-guard.rule';
export * from './schedule.rule';
export * from './department-tree.rule';
export * from './department-scope.rule';
export * from './heads.rule';
export * from './department-people.rule';
