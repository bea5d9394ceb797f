import { formatPhone, personName } from '../logic/format';
import { useConsole } from '../store';
import type { Translate } from '../i18n/i18n';
import type { Employee } from '../types';
import { Badge } from './ui';

/** A person's name without the "(bitrix24)" tag, which becomes a badge. */
export function PersonName(props: { employee: Pick<Employee, 'lastName' | 'firstName' | 'middleName' | 'source'>; testid?: string }) {
  const { tagged, name } = personName(props.employee);
  return (
    <span class="person" data-testid={props.testid}>
      {(tagged || props.employee.source === 'bitrix24') && (
        <>
          <Badge tone="b24" testid="employee-badge">
            (bitrix24)
          </Badge>{' '}
        </>
      )}
      <span class="person-name">{name}</span>
    </span>
  );
}

export function Phones(props: { employee: Pick<Employee, 'phones'> }) {
  const { t } = useConsole();
  const phones = props.employee.phones ?? [];
  if (!phones.length) return <span class="muted">—</span>;
  return (
    <ul class="phones" data-testid="employee-phones">
      {phones.map((p) => (
        <li key={p.number}>
          <a href={`tel:+${String(p.number).replace(/\D/g, '')}`} data-digits={p.number} class="phone">
            {formatPhone(p.number)}
          </a>
          {p.source !== 'manual' && <span class="muted"> {t(p.source === 'work' ? 'employees.phone_work' : p.source === 'mobile' ? 'employees.phone_mobile' : 'employees.phone_personal')}</span>}
        </li>
      ))}
    </ul>
  );
}

export const displayName = (e: Pick<Employee, 'lastName' | 'firstName'>): string => personName({ ...e, middleName: null }).name;

/** The first four cells of a person row (name, email, phones, extension), as the directory and the responsible list show them. */
export function PersonCells(props: { employee: Employee; extensionTestid?: string }) {
  const { t } = useConsole();
  const e = props.employee;
  return (
    <>
      <td data-label={t('employees.col_name')}>
        <PersonName employee={e} testid="employee-name" />
      </td>
      <td class="nowrap" data-label={t('employees.col_email')}>
        {e.email || <span class="muted">—</span>}
      </td>
      <td data-label={t('employees.col_phones')}>
        <Phones employee={e} />
      </td>
      <td data-testid={props.extensionTestid} data-label={t('employees.col_extension')}>
        {e.extension || <span class="muted">—</span>}
      </td>
    </>
  );
}

export const personColumns = (t: Translate): string[] => [t('employees.col_name'), t('employees.col_email'), t('employees.col_phones'), t('employees.col_extension')];
