import { csvCell, csvLine, EMPLOYEE_CSV_COLUMNS, employeeCsvHeader, employeeCsvLine } from './employee-csv';

describe('employee CSV', () => {
  it.each([
    ['plain', '"plain"'],
    ['say "hi"', '"say ""hi"""'],
    ['a,b', '"a,b"'],
    ['line\nbreak', '"line\nbreak"'],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+7 495', `"'+7 495"`],
    ['-1+2', `"'-1+2"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\tcmd', `"'\tcmd"`],
    ['\rcmd', `"'\rcmd"`],
    ['Иванов', '"Иванов"'],
    [null, '""'],
    [true, '"true"'],
    [74951234567, '"74951234567"'],
  ])('cell %j → %s', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('writes CRLF lines and a header with a BOM', () => {
    expect(csvLine(['a', 1])).toBe('"a","1"\r\n');
    const header = employeeCsvHeader();
    expect(header.startsWith('\uFEFF"id","last_name"')).toBe(true);
    expect(header.split(',')).toHaveLength(EMPLOYEE_CSV_COLUMNS.length);
  });

  it('writes one employee with phones and links', () => {
    const line = employeeCsvLine({
      id: 'e1', firstName: 'Пётр', lastName: '(bitrix24) Иванов', middleName: null, email: 'p@x.ru', extension: '12', source: 'bitrix24', active: true, responsible: false,
      phones: [{ number: '74951234567', source: 'work' }, { number: '79160000000', source: 'mobile' }], departments: [], managerId: null, managerName: null,
      bitrix24Links: [{ connectionId: 'c', bitrix24UserId: 7, state: 'dismissed', stateSince: '', matchedBy: 'created', linkedAt: '' }],
      createdAt: '2026-01-02T03:04:05.000Z', updatedAt: '', deactivatedAt: null,
    });
    expect(line).toBe('"e1","(bitrix24) Иванов","Пётр","","p@x.ru","74951234567 79160000000","12","bitrix24","true","false","7:dismissed","2026-01-02T03:04:05.000Z"\r\n');
  });
});
