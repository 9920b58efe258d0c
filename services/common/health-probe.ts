// The HTTP health probe of every container whose image has bash but no curl or wget (the service images
// built from services/*/Dockerfile, promtail): one place for the script, used by the components'
// container health checks (components/common.ts bashHealthcheck, components/observability.ts) and
// written out in the service Dockerfiles' HEALTHCHECK, which test/components/render.test.ts compares
// with this function's output.
//
// bash's /dev/tcp needs no process besides bash (~1 ms). A `node -e fetch(...)` probe pays a Node start-up
// (0.1–0.3 s of CPU) every interval inside the service's own CPU quota, which showed as latency spikes.

/** A port number, or a shell default expansion of an environment variable such as `${GATEWAY_PORT:-8080}`. */
export type ProbePort = number | string;

/**
 * A bash script that sends `GET <path> HTTP/1.0` to 127.0.0.1:<port> and exits 0 when the status line
 * arrives within `readTimeoutS` seconds and says 2xx, and 1 otherwise (refused, timed out, any other
 * status). `path` must be a plain URL path: it is written into the script.
 */
export function bashHttpProbe(port: ProbePort, path: string, readTimeoutS: number): string {
  if (!/^\/[A-Za-z0-9._~\-/?=&]*$/.test(path))
    throw new Error(`health check path ${JSON.stringify(path)}: expected a URL path such as /health`);
  if (
    typeof port === "number"
      ? !Number.isInteger(port) || port < 1 || port > 65535
      : !/^\$\{[A-Z_][A-Z0-9_]*:-\d+\}$/.test(port)
  )
    throw new Error(`health check port ${JSON.stringify(port)}: expected 1-65535 or \${NAME:-default}`);
  if (!Number.isInteger(readTimeoutS) || readTimeoutS < 1)
    throw new Error(`health check read timeout ${readTimeoutS}: expected whole seconds ≥ 1`);
  const request = `GET ${path} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n`;
  return (
    `exec 3<>/dev/tcp/127.0.0.1/${port} && printf '${request}' >&3 && ` +
    `IFS= read -r -t ${readTimeoutS} status <&3 && [[ $status == HTTP/1.?' 2'[0-9][0-9]' '* ]]`
  );
}
