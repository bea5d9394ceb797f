import { formatPhone, personName } from '../logic/format';
import { useConsole } from '../store';
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
