/** A port number, or a shell default expansion of an environment variable such as `${GATEWAY_PORT:-8080}`. */
export type ProbePort = number | string;
/**
 * A bash script that sends `GET <path> HTTP/1.0` to 127.0.0.1:<port> and exits 0 when the status line
 * arrives within `readTimeoutS` seconds and says 2xx, and 1 otherwise (refused, timed out, any other
 * status). `path` must be a plain URL path: it is written into the script.
 */
export declare function bashHttpProbe(port: ProbePort, path: string, readTimeoutS: number): string;
