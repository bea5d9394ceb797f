/**
 * Runs the Bitrix24 portal simulator on its own:
 *
 *   node dist/test/simulator/main.js --port 4100 --people 300 --seed 1 \
 *     --redirect-uri http://localhost:3000/bitrix24/oauth/callback
 *
 * Options: --port N, --people N, --departments N, --seed N, --redirect-uri URL,
 * --scope user,department, --client-id ID, --client-secret SECRET, --member-id HEX,
 * --application-token HEX, --license ru_pro100, --no-rate-limit, --old-box (old on-premise
 * records: nulls, no USER_TYPE), --json (print the connection facts as one JSON line instead of text).
 */
import { PortalSimulator, type PortalSimulatorOptions } from './portal-simulator';

function parseArgs(argv: string[]): { options: PortalSimulatorOptions; json: boolean } {
  const options: PortalSimulatorOptions = {};
  let json = false;
  const value = (i: number, name: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const int = (text: string, name: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${text}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--port':
        options.port = int(value(i, arg), arg);
        i++;
        break;
      case '--people':
        options.people = int(value(i, arg), arg);
        i++;
        break;
      case '--departments':
        options.departments = int(value(i, arg), arg);
        i++;
        break;
      case '--seed':
        options.seed = int(value(i, arg), arg);
        i++;
        break;
      case '--redirect-uri':
        options.redirectUri = value(i, arg);
        i++;
        break;
      case '--scope':
        options.scope = value(i, arg);
        i++;
        break;
      case '--client-id':
        options.clientId = value(i, arg);
        i++;
        break;
      case '--client-secret':
        options.clientSecret = value(i, arg);
        i++;
        break;
      case '--member-id':
        options.memberId = value(i, arg);
        i++;
        break;
      case '--application-token':
        options.applicationToken = value(i, arg);
        i++;
        break;
      case '--license':
        options.license = value(i, arg);
        i++;
        break;
      case '--no-rate-limit':
        options.rateLimit = false;
        break;
      case '--old-box':
        options.oldBox = true;
        break;
      case '--json':
        json = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write('usage: main.js [--port N] [--people N] [--departments N] [--seed N] [--redirect-uri URL] [--scope LIST] [--client-id ID] [--client-secret S] [--member-id HEX] [--application-token HEX] [--license L] [--no-rate-limit] [--old-box] [--json]\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  return { options, json };
}

async function main(): Promise<void> {
  const { options, json } = parseArgs(process.argv.slice(2));
  const sim = await PortalSimulator.start({ people: 300, ...options });
  const webhook = sim.createWebhook();
  const facts = {
    baseUrl: sim.baseUrl,
    domain: sim.domain,
    clientEndpoint: sim.clientEndpoint,
    serverDomain: sim.serverDomain,
    memberId: sim.memberId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    applicationToken: sim.applicationToken,
    scope: sim.scopes.join(','),
    redirectUri: sim.redirectUri ?? null,
    authorizeUrl: sim.authorizeUrl('demo'),
    webhook,
    people: sim.users.length,
    departments: sim.departments.length,
  };
  if (json) {
    process.stdout.write(JSON.stringify(facts) + '\n');
  } else {
    const lines = [
      'Bitrix24 portal simulator is running',
      `  base URL          ${facts.baseUrl}`,
      `  REST endpoint     ${facts.clientEndpoint}`,
      `  OAuth server      http://${facts.serverDomain}/oauth/token/`,
      `  member_id         ${facts.memberId}`,
      `  client_id         ${facts.clientId}`,
      `  client_secret     ${facts.clientSecret}`,
      `  application_token ${facts.applicationToken}`,
      `  scope             ${facts.scope}`,
      `  redirect URI      ${facts.redirectUri ?? '(none: the code is shown on the page)'}`,
      `  authorize         ${facts.authorizeUrl}`,
      `  webhook           ${facts.webhook}`,
      `  people            ${facts.people} in ${facts.departments} departments`,
      'Ctrl+C stops it.',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  const shutdown = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
