/** The parts of the Route 53 step types' `with` blocks they share: record types, alias targets, geolocations. Pure. */
import { z } from 'zod';

export const RECORD_TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'TXT'] as const;

export const aliasTarget = z
  .strictObject({
    zoneId: z.string().min(1).describe("The hosted zone id of the target (e.g. a load balancer's canonical hosted zone)"),
    dnsName: z.string().min(1).describe('The DNS name of the target'),
    evaluateTargetHealth: z.boolean().optional().describe('Route 53 checks the target is healthy (default false)'),
  })
  .describe('An alias target instead of ttl and values');

export const geoLocation = z
  .strictObject({
    continent: z.string().min(2).max(2).optional().describe('AF, AN, AS, EU, OC, NA or SA'),
    country: z.string().min(1).max(2).optional().describe('ISO 3166 alpha-2 code, or * for the default location'),
    subdivision: z.string().min(1).max(3).optional().describe('A US state (with country: US)'),
  })
  .describe('Geolocation routing: a continent, or a country (and subdivision)');

const withoutDot = (v: string): string => v.replace(/\.$/, '');

/** A typed confirmation of a record name: the text without the final dot; what is typed compares case-insensitively, the final dot optional. */
export function recordNameConfirmation(name: unknown): string | undefined {
  return typeof name === 'string' && name !== '' ? withoutDot(name) : undefined;
}
