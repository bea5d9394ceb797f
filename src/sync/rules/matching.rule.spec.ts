import { decideMatch, type EmailCandidate, type MatchDecision } from './matching.rule';

const free = (employeeId: string): EmailCandidate => ({ employeeId, linkedToOtherUserOfThisPortal: false });
const taken = (employeeId: string): EmailCandidate => ({ employeeId, linkedToOtherUserOfThisPortal: true });

describe('decideMatch', () => {
  it.each<[string, string | null, EmailCandidate[], MatchDecision]>([
    ['existing link, no candidates', 'e1', [], { kind: 'linked', employeeId: 'e1' }],
    ['existing link wins over an email match', 'e1', [free('e2')], { kind: 'linked', employeeId: 'e1' }],
    ['existing link wins over an ambiguous email', 'e1', [free('e2'), free('e3')], { kind: 'linked', employeeId: 'e1' }],
    ['existing link wins over email linked elsewhere', 'e1', [taken('e2')], { kind: 'linked', employeeId: 'e1' }],
    ['no link, no candidates → create', null, [], { kind: 'create' }],
    ['one free candidate → link by email', null, [free('e2')], { kind: 'link_by_email', employeeId: 'e2' }],
    ['one free among taken → link the free one', null, [taken('e3'), free('e2'), taken('e4')], { kind: 'link_by_email', employeeId: 'e2' }],
    ['same employee listed twice → still one', null, [free('e2'), free('e2')], { kind: 'link_by_email', employeeId: 'e2' }],
    ['two free candidates → ambiguous', null, [free('e2'), free('e3')], { kind: 'skip', reason: 'ambiguous_email' }],
    ['two free and one taken → ambiguous', null, [free('e2'), taken('e4'), free('e3')], { kind: 'skip', reason: 'ambiguous_email' }],
    ['only candidate taken → linked elsewhere', null, [taken('e2')], { kind: 'skip', reason: 'email_linked_elsewhere' }],
    ['all candidates taken → linked elsewhere', null, [taken('e2'), taken('e3')], { kind: 'skip', reason: 'email_linked_elsewhere' }],
  ])('%s', (_name, linkedEmployeeId, emailCandidates, expected) => {
    expect(decideMatch({ linkedEmployeeId, emailCandidates })).toEqual(expected);
  });
});
