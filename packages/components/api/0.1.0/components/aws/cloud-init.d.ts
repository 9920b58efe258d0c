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
    dataVolume?: {
        deviceName: string;
        mountPoint?: string;
    };
}
/** Where Docker keeps named volumes; mounting the data volume here puts every volume on it. */
export declare const DOCKER_VOLUMES_DIR = "/var/lib/docker/volumes";
/** The shell script that waits for the attached EBS device, formats it once and mounts it. */
export declare function renderMountScript(deviceName: string, mountPoint: string): string;
/** cloud-config YAML (starts with `#cloud-config`). Throws on values that would be unsafe to render. */
export declare function renderCloudInit(opts: CloudInitOptions): string;
