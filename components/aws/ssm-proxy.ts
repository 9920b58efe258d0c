// The SSH ProxyCommand of the aws target's docker providers: `ssh ec2-user@i-0abc...` tunnelled through
// SSM Session Manager (AWS-StartSSHSession), so no security group opens port 22. Before the first
// connection to an instance it waits until the SSM agent is online and cloud-init has finished (Docker
// installed, data volume mounted), so `pulumi up` can deploy containers right after creating the hosts;
// a marker file in $TMPDIR skips the wait afterwards.
//
// Rendered inline (not a script path) on purpose: the command is part of each docker provider's config,
// and a path that differs between machines would show up as a provider change in every preview.
// Needs the AWS CLI v2 with the Session Manager plugin and the deployer's key in ssh-agent.

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** The script run by bash with $1 = instance id, $2 = port, $3 = region. No single quotes inside. */
export const SSM_PROXY_SCRIPT = [
  'i=$1; p=$2; r=$3; m="${TMPDIR:-/tmp}/pg-ssm-ready-$i"',
  'if [ ! -f "$m" ]; then',
  ' s=""; for n in $(seq 1 120); do s=$(aws ssm describe-instance-information --region "$r" --filters "Key=InstanceIds,Values=$i" --query "InstanceInformationList[0].PingStatus" --output text 2>/dev/null); [ "$s" = Online ] && break; sleep 5; done',
  ' [ "$s" = Online ] || { echo "ssm agent on $i is not online" >&2; exit 1; }',
  ' c=$(aws ssm send-command --region "$r" --instance-ids "$i" --document-name AWS-RunShellScript --parameters "commands=[\\"cloud-init status --wait >/dev/null; test -S /var/run/docker.sock\\"]" --query Command.CommandId --output text) || exit 1',
  // `wait command-executed` gives up after 100 s; a first boot (package install) can take longer.
  ' ok=""; for n in 1 2 3 4 5 6; do aws ssm wait command-executed --region "$r" --command-id "$c" --instance-id "$i" 2>/dev/null && ok=1 && break; done',
  ' [ -n "$ok" ] || { echo "cloud-init on $i did not finish with docker running" >&2; exit 1; }',
  ' touch "$m"',
  "fi",
  'exec aws ssm start-session --region "$r" --target "$i" --document-name AWS-StartSSHSession --parameters "portNumber=$p"',
].join("\n");

/** `ProxyCommand` value for ssh (%h = instance id, %p = port, substituted by ssh). */
export function renderSsmProxyCommand(region: string): string {
  if (!REGION.test(region))
    throw new Error(`aws:region must look like eu-west-1, got ${JSON.stringify(region)}`);
  // ssh hands ProxyCommand to a shell; keep it on one line (newlines become "; " where legal).
  const oneLine = SSM_PROXY_SCRIPT.replace(/\nfi\n/g, "; fi; ")
    .replace(/; then\n/g, "; then ")
    .replace(/\n/g, "; ");
  return `bash -c '${oneLine}' ssm-proxy %h %p ${region}`;
}
