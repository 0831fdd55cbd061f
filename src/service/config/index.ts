// framering serve's config: YAML or JSON, ${ENV} substitution, checked with zod, one error with path and line.
export { ConfigError, formatPath, type ConfigErrorCode } from './config_error.js';
export { loadConfigFile, parseConfigText, type ParsedConfig, type ParseOptions } from './parse_config.js';
export {
  configSchema,
  CAMERA_NAME,
  PROCESS_NAME,
  LIMITS,
  type ServiceConfig,
  type CameraConfig,
  type ProcessGroupConfig,
  type ClassRef,
} from './schema.js';
export { DEFAULT_CONFIG_YAML, DEFAULT_CONFIG_NAME } from './default_config.js';
export { SourceLines } from './source_lines.js';
