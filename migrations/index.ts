import { CreateAccounts1795305600000 } from './1795305600000-CreateAccounts';
import { CreateBitrix24Connections1795305700000 } from './1795305700000-CreateBitrix24Connections';
import { CreateEmployees1795305800000 } from './1795305800000-CreateEmployees';
import { CreateSyncRuns1795305900000 } from './1795305900000-CreateSyncRuns';
import { CreateTypeormMetadata1795306000000 } from './1795306000000-CreateTypeormMetadata';
import { AddInsufficientRightsState1795307100000 } from './1795307100000-AddInsufficientRightsState';
import { AddAppInstallationAndOfflineEvents1795307500000 } from './1795307500000-AddAppInstallationAndOfflineEvents';
import { AddRunCheckpoints1795308000000 } from './1795308000000-AddRunCheckpoints';
import { AddTokenRefreshInFlight1795308100000 } from './1795308100000-AddTokenRefreshInFlight';
import { AddRunInFlightIndex1795308150000 } from './1795308150000-AddRunInFlightIndex';
import { AddDepartmentTree1795308200000 } from './1795308200000-AddDepartmentTree';
import { AddReviewTools1795308300000 } from './1795308300000-AddReviewTools';
import { AddPreviewDepartmentScope1795308400000 } from './1795308400000-AddPreviewDepartmentScope';
import { AddSyncProblems1795308500000 } from './1795308500000-AddSyncProblems';
import { AddChangeFingerprints1795308600000 } from './1795308600000-AddChangeFingerprints';

/**
 * Every migration, in order. TypeORM gets this list rather than a glob so the same
 * code runs from ts-jest and from the compiled build. `npm run migration:generate`
 * appends new files here.
 */
export const ALL_MIGRATIONS = [
  CreateAccounts1795305600000,
  CreateBitrix24Connections1795305700000,
  CreateEmployees1795305800000,
  CreateSyncRuns1795305900000,
  CreateTypeormMetadata1795306000000,
  AddInsufficientRightsState1795307100000,
  AddAppInstallationAndOfflineEvents1795307500000,
  AddRunCheckpoints1795308000000,
  AddTokenRefreshInFlight1795308100000,
  AddRunInFlightIndex1795308150000,
  AddDepartmentTree1795308200000,
  AddReviewTools1795308300000,
  AddPreviewDepartmentScope1795308400000,
  AddSyncProblems1795308500000,
  AddChangeFingerprints1795308600000,
];
