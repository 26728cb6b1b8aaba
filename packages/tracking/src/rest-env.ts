import { readFileSync } from 'node:fs';
import { TrackingError } from './types.js';

/** What MLflow's own client reads from the environment, resolved for {@link RestStore}. */
export interface RestEnvOptions {
  /** `Authorization` header: Basic from username and password, else Bearer from the token. */
  authorization?: string;
  /** Attempts per request: `MLFLOW_HTTP_REQUEST_MAX_RETRIES` + 1. */
  retries?: number;
  /** First backoff: `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` seconds. */
  backoffMs?: number;
  /** `MLFLOW_HTTP_REQUEST_TIMEOUT` seconds. */
  timeoutMs?: number;
  /** TLS settings; absent means the platform's defaults. */
  tls?: { rejectUnauthorized: boolean; ca?: Buffer; cert?: Buffer; key?: Buffer };
}

function number(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min)
    throw new TrackingError(`${name}='${raw}' is not a number >= ${min}.`, 'INVALID_PARAMETER_VALUE');
  return v;
}

function file(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const path = env[name];
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TrackingError(
      `${name}=${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); point it to a PEM file.`,
      'INVALID_PARAMETER_VALUE',
    );
  }
}

const truthy = (v: string | undefined) => /^(1|true|yes)$/i.test(v ?? '');

/**
 * MLflow's client variables: `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` (Basic
 * auth, as MLflow's basic-auth app expects), `MLFLOW_TRACKING_TOKEN` (Bearer),
 * `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH`,
 * `MLFLOW_TRACKING_CLIENT_CERT_PATH`, `MLFLOW_HTTP_REQUEST_MAX_RETRIES`,
 * `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`, `MLFLOW_HTTP_REQUEST_TIMEOUT`. A bad value is an error
 * that names the variable and never quotes a secret.
 */
export function restOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RestEnvOptions {
  const out: RestEnvOptions = {};
  const user = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (user || password) {
    if (!user || !password)
      throw new TrackingError(
        `set both MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (only ${user ? 'the username' : 'the password'} is set).`,
        'INVALID_PARAMETER_VALUE',
      );
    out.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  } else if (env.MLFLOW_TRACKING_TOKEN) out.authorization = `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  const retries = number(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', 0);
  if (retries !== undefined) out.retries = Math.floor(retries) + 1;
  const backoff = number(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', 0);
  if (backoff !== undefined) out.backoffMs = backoff * 1000;
  const timeout = number(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT', 0.001);
  if (timeout !== undefined) out.timeoutMs = timeout * 1000;
  const insecure = truthy(env.MLFLOW_TRACKING_INSECURE_TLS);
  const ca = file(env, 'MLFLOW_TRACKING_SERVER_CERT_PATH');
  const clientCert = file(env, 'MLFLOW_TRACKING_CLIENT_CERT_PATH');
  if (insecure && ca)
    throw new TrackingError(
      'MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH cannot both be set (MLflow refuses the same).',
      'INVALID_PARAMETER_VALUE',
    );
  if (insecure || ca || clientCert)
    out.tls = {
      rejectUnauthorized: !insecure,
      ...(ca ? { ca } : {}),
      // MLflow's client certificate path is one PEM holding the certificate and its key.
      ...(clientCert ? { cert: clientCert, key: clientCert } : {}),
    };
  return out;
}

/** `uri` with any password replaced, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/^(\w+:\/\/)([^@/]*)@/, (_, scheme: string, cred: string) =>
    cred.includes(':') ? `${scheme}${cred.split(':')[0]}:***@` : `${scheme}***@`,
  );
}
