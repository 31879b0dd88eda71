import type { ApiVersion } from './generated/api-versions.js'
import { API_CODECS } from './generated/index.js'

/*
 * Which versions of which APIs a listener accepts. It answers ApiVersions with exactly this
 * list, and a request outside it gets UNSUPPORTED_VERSION, so a client never picks a version
 * the server cannot decode.
 */

export interface VersionSpan {
  readonly minVersion: number
  readonly maxVersion: number
}

export type SupportedVersions = ReadonlyMap<number, VersionSpan>

/**
 * Every generated API at every version it has, less the newest where Kafka marks it unstable
 * (a broker advertises those only with `unstable.api.versions.enable`).
 */
export function generatedVersions(): SupportedVersions {
  const versions = new Map<number, VersionSpan>()
  for (const codec of Object.values(API_CODECS)) {
    versions.set(codec.apiKey, {
      minVersion: codec.minVersion,
      maxVersion: codec.latestVersionUnstable ? codec.maxVersion - 1 : codec.maxVersion,
    })
  }
  return versions
}

export function isSupported(
  supported: SupportedVersions,
  apiKey: number,
  version: number,
): boolean {
  const span = supported.get(apiKey)
  return span !== undefined && version >= span.minVersion && version <= span.maxVersion
}

/** The `apiKeys` list of an ApiVersions response, by ascending key. */
export function apiVersionsList(supported: SupportedVersions): ApiVersion[] {
  return [...supported]
    .sort(([a], [b]) => a - b)
    .map(([apiKey, span]) => ({ apiKey, minVersion: span.minVersion, maxVersion: span.maxVersion }))
}
