// docker:index/network:Network and docker:index/volume:Volume, created through the Engine API.
import type Docker from "dockerode";
import { labelMap } from "./labels";
import { autoName } from "./values";

type Labels = { label: string; value: string }[];

export interface NetworkInputs {
  name?: string;
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  ipv6?: boolean;
  labels?: Labels;
  options?: Record<string, string>;
  ipamDriver?: string;
  ipamOptions?: Record<string, string>;
  ipamConfigs?: {
    subnet?: string;
    ipRange?: string;
    gateway?: string;
    auxAddress?: Record<string, string>;
  }[];
}

export async function createNetwork(docker: Docker, logical: string, inputs: NetworkInputs, stack: string) {
  const name = inputs.name ?? autoName(logical);
  const created = await docker.createNetwork({
    Name: name,
    CheckDuplicate: true,
    Driver: inputs.driver ?? "bridge",
    Internal: inputs.internal ?? false,
    Attachable: inputs.attachable ?? false,
    EnableIPv6: inputs.ipv6 ?? false,
    Options: inputs.options,
    Labels: labelMap(inputs.labels, stack),
    IPAM: {
      Driver: inputs.ipamDriver ?? "default",
      Options: inputs.ipamOptions,
      Config: (inputs.ipamConfigs ?? []).map((c) => ({
        Subnet: c.subnet,
        IPRange: c.ipRange,
        Gateway: c.gateway,
        AuxiliaryAddresses: c.auxAddress,
      })),
    },
  });
  const info = await docker.getNetwork(created.id).inspect();
  return {
    id: info.Id as string,
    state: {
      ...inputs,
      name,
      driver: info.Driver,
      internal: info.Internal,
      scope: info.Scope,
      ipamDriver: info.IPAM?.Driver,
      ipamConfigs: (
        (info.IPAM?.Config ?? []) as { Subnet?: string; IPRange?: string; Gateway?: string }[]
      ).map((c) => ({ subnet: c.Subnet, ipRange: c.IPRange, gateway: c.Gateway })),
    },
  };
}

export interface VolumeInputs {
  name?: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Labels;
}

export async function createVolume(docker: Docker, logical: string, inputs: VolumeInputs, stack: string) {
  const name = inputs.name ?? autoName(logical);
  await docker.createVolume({
    Name: name,
    Driver: inputs.driver ?? "local",
    DriverOpts: inputs.driverOpts ?? {},
    Labels: labelMap(inputs.labels, stack),
  });
  const v = await docker.getVolume(name).inspect();
  return {
    id: v.Name,
    state: { ...inputs, name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint },
  };
}
