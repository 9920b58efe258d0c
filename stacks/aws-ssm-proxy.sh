#!/usr/bin/env bash
# SSH ProxyCommand for the aws target's docker providers: `ssh ec2-user@i-0abc...` is tunnelled through
# SSM Session Manager (no port 22 open anywhere). Before the first connection to an instance it waits
# until the SSM agent is online and cloud-init has finished (Docker installed, data volume mounted), so
# `pulumi up` can deploy containers right after creating the hosts.
# Usage (set by stacks/aws.ts): ProxyCommand=bash stacks/aws-ssm-proxy.sh %h %p <region>
# Needs: AWS CLI v2 + the Session Manager plugin, credentials allowed ssm:StartSession/SendCommand.
set -euo pipefail
instance=$1 port=$2 region=$3
marker="${TMPDIR:-/tmp}/pg-ssm-ready-${instance}"
if [ ! -f "$marker" ]; then
  for _ in $(seq 1 120); do
    status=$(aws ssm describe-instance-information --region "$region" \
      --filters "Key=InstanceIds,Values=$instance" --query 'InstanceInformationList[0].PingStatus' --output text 2>/dev/null || true)
    [ "$status" = "Online" ] && break
    sleep 5
  done
  [ "$status" = "Online" ] || { echo "ssm agent on $instance not online" >&2; exit 1; }
  cmd=$(aws ssm send-command --region "$region" --instance-ids "$instance" --document-name AWS-RunShellScript \
    --parameters 'commands=["cloud-init status --wait >/dev/null; test -S /var/run/docker.sock"]' \
    --query Command.CommandId --output text)
  # `wait command-executed` gives up after 100 s; first boots (package install) can take longer.
  ok=""
  for _ in 1 2 3 4 5 6; do
    if aws ssm wait command-executed --region "$region" --command-id "$cmd" --instance-id "$instance" 2>/dev/null; then
      ok=1 && break
    fi
    st=$(aws ssm get-command-invocation --region "$region" --command-id "$cmd" --instance-id "$instance" \
      --query Status --output text 2>/dev/null || true)
    case "$st" in Pending | InProgress | Delayed) ;; *) break ;; esac
  done
  [ -n "$ok" ] || { echo "cloud-init on $instance did not finish with docker running" >&2; exit 1; }
  touch "$marker"
fi
exec aws ssm start-session --region "$region" --target "$instance" \
  --document-name AWS-StartSSHSession --parameters "portNumber=$port"
