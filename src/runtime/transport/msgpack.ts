/*
 * msgpackr without its native add-on. The package's main entry on Node loads msgpackr-extract,
 * whose loader probes the C library and pulls in child_process, net and dgram: a large part
 * of every worker thread's start (bench/README.md has the figures), for a decoder that speeds
 * up long strings, which our frames do not carry (e2e throughput measured the same without
 * it). On Node the package's `./pack` export is its plain-JavaScript build of the whole API.
 */
export { addExtension, Packr, Unpackr } from 'msgpackr/pack'
