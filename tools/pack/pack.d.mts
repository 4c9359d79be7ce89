/** Where `npm run pack` leaves its tarballs: `dist/packages`. */
export const PACKAGES_DIR: string;
/** Bundles and packs the CLI into `destination`; the tarball's path. */
export function packCli(destination?: string): Promise<string>;
/** Bundles and packs the client with its declarations into `destination`; the tarball's path. */
export function packClient(destination?: string): Promise<string>;
