// Renders the cloud-init user data every EC2 host boots with. Pure and deterministic (same input, same
// bytes) so the preview diff only shows a change when the bootstrap really changed, and so it can be
// unit-tested without AWS. It installs and starts Docker (the components are then deployed onto the
// host through a docker.Provider), installs the deployer's SSH public key (SSH is only ever reached
// through an SSM Session Manager tunnel: no security group opens port 22), and on NATS hosts mounts
// the encrypted JetStream EBS volume as Docker's volume store before Docker starts.
import { stringify } from "yaml";

export interface CloudInitOptions {
  /** Role label written to /etc/proving-ground/role (useful when debugging a host over SSM). */
  role: string;
  /** Stack name, also written for debugging. */
  stack: string;
  /** OpenSSH public key of whoever runs `pulumi up`; the docker provider connects as `user` with it. */
  deployerPublicKey: string;
  /** Login user of the AMI (Amazon Linux: ec2-user). */
  user?: string;
  /**
   * A separately attached data volume (EBS device name as given to the VolumeAttachment, e.g.
   * /dev/sdf) to format on first boot and mount at Docker's named-volume directory, so JetStream data
   * lives on the encrypted volume and survives instance replacement.
   */
  dataVolume?: { deviceName: string; mountPoint?: string };
}

const SSH_KEY = /^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( [^\n]*)?$/;
const DEVICE = /^\/dev\/(sd|xvd)[f-p]$/;
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Where Docker keeps named volumes; mounting the data volume here puts every volume on it. */
export const DOCKER_VOLUMES_DIR = "/var/lib/docker/volumes";

/** The shell script that waits for the attached EBS device, formats it once and mounts it. */
export function renderMountScript(deviceName: string, mountPoint: string): string {
  // On Nitro instances the EBS device shows up as /dev/nvmeXn1; Amazon Linux's udev rules add the
  // requested name (/dev/sdf) as a symlink, so waiting for that name works on both generations.
  // The attachment can complete after boot, hence the wait. mkfs only when there is no filesystem yet:
  // a re-attached volume keeps its data.
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    `dev=${deviceName}`,
    `alt=/dev/xvd${deviceName.slice(-1)}`,
    'for _ in $(seq 1 300); do [ -e "$dev" ] && break; [ -e "$alt" ] && dev=$alt && break; sleep 1; done',
    '[ -e "$dev" ] || { echo "data volume $dev did not appear" >&2; exit 1; }',
    'blkid "$dev" >/dev/null 2>&1 || mkfs.xfs -q "$dev"',
    `mkdir -p ${mountPoint}`,
    'uuid=$(blkid -s UUID -o value "$dev")',
    `grep -q "$uuid" /etc/fstab || echo "UUID=$uuid ${mountPoint} xfs defaults,nofail 0 2" >> /etc/fstab`,
    `mountpoint -q ${mountPoint} || mount ${mountPoint}`,
    "",
  ].join("\n");
}

/** cloud-config YAML (starts with `#cloud-config`). Throws on values that would be unsafe to render. */
export function renderCloudInit(opts: CloudInitOptions): string {
  const user = opts.user ?? "ec2-user";
  if (!SAFE.test(opts.role))
    throw new Error(`cloud-init: role must match ${SAFE}, got ${JSON.stringify(opts.role)}`);
  if (!SAFE.test(opts.stack))
    throw new Error(`cloud-init: stack must match ${SAFE}, got ${JSON.stringify(opts.stack)}`);
  if (!SAFE.test(user)) throw new Error(`cloud-init: user must match ${SAFE}, got ${JSON.stringify(user)}`);
  const key = opts.deployerPublicKey.trim();
  if (!SSH_KEY.test(key)) {
    throw new Error("deployerPublicKey must be one OpenSSH public key line (ssh-ed25519 AAAA... comment)");
  }
  if (opts.dataVolume && !DEVICE.test(opts.dataVolume.deviceName)) {
    throw new Error(
      `cloud-init: dataVolume.deviceName must look like /dev/sdf../dev/sdp, got ${JSON.stringify(opts.dataVolume.deviceName)}`,
    );
  }

  const writeFiles: { path: string; content: string; permissions: string; owner?: string }[] = [
    { path: "/etc/proving-ground/role", content: `${opts.role}\n`, permissions: "0644" },
    { path: "/etc/proving-ground/stack", content: `${opts.stack}\n`, permissions: "0644" },
    {
      // Log rotation for container logs, and live-restore so a dockerd upgrade does not kill NATS.
      path: "/etc/docker/daemon.json",
      content: JSON.stringify(
        {
          "live-restore": true,
          "log-driver": "json-file",
          "log-opts": { "max-size": "50m", "max-file": "3" },
        },
        null,
        2,
      ),
      permissions: "0644",
    },
  ];
  const runcmd: string[][] = [];
  if (opts.dataVolume) {
    const mountPoint = opts.dataVolume.mountPoint ?? DOCKER_VOLUMES_DIR;
    writeFiles.push({
      path: "/usr/local/sbin/mount-data-volume",
      content: renderMountScript(opts.dataVolume.deviceName, mountPoint),
      permissions: "0755",
    });
    // Before Docker starts, so Docker never writes a volume onto the root disk.
    runcmd.push(["/usr/local/sbin/mount-data-volume"]);
  }
  runcmd.push(
    ["systemctl", "enable", "--now", "docker"],
    ["usermod", "-aG", "docker", user],
    // The SSM agent ships with Amazon Linux; make sure it runs (it is the only way in).
    ["systemctl", "enable", "--now", "amazon-ssm-agent"],
  );

  const doc = {
    package_update: true,
    packages: ["docker"],
    // Keys for the AMI's default user (ec2-user on Amazon Linux).
    ssh_authorized_keys: [key],
    // Password login stays off; the key above only works through the SSM tunnel.
    ssh_pwauth: false,
    write_files: writeFiles,
    runcmd,
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
