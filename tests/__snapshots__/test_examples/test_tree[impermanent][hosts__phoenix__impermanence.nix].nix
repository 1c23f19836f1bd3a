# Impermanence: / is emptied at every boot, and only what is listed here (plus
# /home and /nix, which are separate subvolumes) survives, under /persist.
# Anything else you want to keep must be added below before you reboot.
{ config, ... }:

{
  # Since 26.05 stage 1 runs on systemd, so the rollback is an initrd unit
  # (the old boot.initrd.postDeviceCommands hooks no longer run).
  assertions = [
    {
      # Without a systemd initrd the unit below never runs and / is silently kept.
      assertion = config.boot.initrd.systemd.enable;
      message = "impermanence.nix rolls / back from a systemd initrd unit: keep boot.initrd.systemd.enable = true.";
    }
  ];
  boot.initrd.systemd.services.rollback-root = {
    description = "Roll back / to an empty state";
    wantedBy = [ "initrd.target" ];
    after = [ "systemd-cryptsetup@crypted.service" ];
    before = [ "sysroot.mount" ];
    unitConfig.DefaultDependencies = "no";
    serviceConfig.Type = "oneshot";
    script = ''
      mkdir -p /btrfs
      mount -t btrfs -o subvolid=5 /dev/mapper/crypted /btrfs
      if [ -e /btrfs/root ]; then
        # Nested subvolumes (created by systemd-nspawn, docker, ...) go first.
        btrfs subvolume list -o /btrfs/root | cut -f 9- -d ' ' | sort -r | while read -r sub; do
          btrfs subvolume delete "/btrfs/$sub"
        done
        btrfs subvolume delete /btrfs/root
      fi
      btrfs subvolume create /btrfs/root
      umount /btrfs
    '';
  };

  # impermanence asserts this, and disko does not set it: /persist must be
  # mounted in the initrd, before anything is linked from it.
  fileSystems."/persist".neededForBoot = true;

  environment.persistence."/persist" = {
    hideMounts = true;
    directories = [
      "/var/lib/nixos"
      "/var/lib/systemd"
      "/var/log"
      "/etc/NetworkManager/system-connections"
    ];
    files = [
      "/etc/machine-id"
    ];
  };

  # The SSH host key lives on /persist directly, so it exists from the first
  # boot on and is what the secrets tool decrypts with.
  services.openssh.hostKeys = [
    {
      path = "/persist/etc/ssh/ssh_host_ed25519_key";
      type = "ed25519";
    }
  ];
}
