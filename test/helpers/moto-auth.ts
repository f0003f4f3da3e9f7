/**
 * A private moto server that enforces IAM (moto's `reset-auth`): requests must be signed by a
 * known access key and be allowed by that user's policies. The suite's shared moto lets
 * every call through and lets anyone assume any role; this one can refuse an AssumeRole.
 * moto does not check a signature while auth is off, so the seeding calls below carry an
 * Authorization header that only names the service (the same shape the SDK sends).
 */
import { startMoto, type Moto } from './moto.js';

export interface AuthMoto extends Moto {
  /** Credentials of an IAM user whose only policy is the one given to startAuthMoto. */
  user: { accessKeyId: string; secretAccessKey: string };
  /** Turn enforcement on (0 free actions) or off. */
  enforce(on: boolean): Promise<void>;
}

async function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`moto IAM ${params.Action ?? '?'} failed: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

const tag = (xml: string, name: string): string => {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  if (!m?.[1]) throw new Error(`moto IAM answer has no <${name}>: ${xml.slice(0, 300)}`);
  return m[1];
};

/** Start moto with auth off, create user `oncall` with `policy`, and hand back its keys. */
export async function startAuthMoto(policy: object): Promise<AuthMoto> {
  const moto = await startMoto();
  try {
    await iam(moto.endpoint, { Action: 'CreateUser', UserName: 'oncall' });
    await iam(moto.endpoint, { Action: 'PutUserPolicy', UserName: 'oncall', PolicyName: 'oncall', PolicyDocument: JSON.stringify(policy) });
    const key = await iam(moto.endpoint, { Action: 'CreateAccessKey', UserName: 'oncall' });
    const enforce = async (on: boolean): Promise<void> => {
      const res = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: on ? '0' : 'inf' });
      if (!res.ok) throw new Error(`moto reset-auth failed: ${res.status} ${await res.text()}`);
    };
    return { ...moto, user: { accessKeyId: tag(key, 'AccessKeyId'), secretAccessKey: tag(key, 'SecretAccessKey') }, enforce };
  } catch (err) {
    await moto.stop();
    throw err;
  }
}
