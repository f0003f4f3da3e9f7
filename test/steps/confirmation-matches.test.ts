/**
 * The typed confirmation's comparison (src/steps/invoke.ts confirmationMatches): what AWS
 * treats as the same name is the same answer; anything else must be typed exactly.
 */
import { describe, expect, test } from 'vitest';
import { confirmationMatches } from '../../src/steps/invoke.js';

describe('confirmationMatches', () => {
  test('record names: the final dot optional, case-insensitive', () => {
    expect(confirmationMatches({ type: 'route53.change-records' }, 'app.example.com.', 'APP.example.com')).toBe(true);
    expect(confirmationMatches({ type: 'route53.change-records' }, 'app.example.com', 'api.example.com')).toBe(false);
  });

  test('RDS identifiers: case-insensitive, as AWS keeps them', () => {
    expect(confirmationMatches({ type: 'rds.promote-replica' }, 'rep-db', 'REP-DB')).toBe(true);
    expect(confirmationMatches({ type: 'rds.failover-cluster' }, 'app-db', 'App-Db')).toBe(true);
    expect(confirmationMatches({ type: 'rds.promote-replica' }, 'rep-db', 'rep-db2')).toBe(false);
  });

  test('a restore target: the final slash optional, nothing else', () => {
    expect(confirmationMatches({ type: 's3.restore' }, '/tmp/out/', '/tmp/out')).toBe(true);
    expect(confirmationMatches({ type: 's3.restore' }, 's3://b/db/', 's3://b/db/')).toBe(true);
    expect(confirmationMatches({ type: 's3.restore' }, 's3://b/db/', 's3://b/db')).toBe(true);
    expect(confirmationMatches({ type: 's3.restore' }, 's3://b/db/', 'S3://b/db/')).toBe(false);
    expect(confirmationMatches({ type: 's3.restore' }, 's3://b/db/', 's3://b/')).toBe(false);
  });

  test('Auto Scaling group names and step ids are exact (group names are case-sensitive)', () => {
    expect(confirmationMatches({ type: 'autoscaling.set-capacity' }, 'web', 'Web')).toBe(false);
    expect(confirmationMatches({ type: 'shell' }, 'announce', ' announce ')).toBe(true);
    expect(confirmationMatches({ type: 'shell' }, 'announce', 'Announce')).toBe(false);
  });
});
