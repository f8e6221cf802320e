/** Engine version, written into every model file. Bump with the package version. */
export const ENGINE_VERSION = '0.1.0';
