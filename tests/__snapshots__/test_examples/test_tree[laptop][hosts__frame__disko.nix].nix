# Disk layout for frame, applied by disko when the machine is installed.
#
#   layout: btrfs    encrypt: true    swap: 16G    impermanence: false
#   device: /dev/disk/by-id/nvme-WD_BLACK_SN850X_1000GB_23280J800231
#
# Changing anything here means reformatting the disk: disko only creates
# layouts, it does not migrate data. Edit with care after the install.
#
# The LUKS passphrase is read from /tmp/secret.key only while formatting:
#   nixos-anywhere --disk-encryption-keys /tmp/secret.key ./disk.key ...
# or write that file on the installer before running disko. At boot you are
# asked for it.
{
  disko.devices = {
    disk.main = {
      type = "disk";
      device = "/dev/disk/by-id/nvme-WD_BLACK_SN850X_1000GB_23280J800231";
      content = {
        type = "gpt";
        partitions = {
          ESP = {
            type = "EF00";
            size = "1G";
            content = {
              type = "filesystem";
              format = "vfat";
              mountpoint = "/boot";
              mountOptions = [ "umask=0077" ];
            };
          };
          root = {
            size = "100%";
            content = {
              type = "luks";
              name = "crypted";
              passwordFile = "/tmp/secret.key";
              settings.allowDiscards = true;
              content = {
                type = "btrfs";
                extraArgs = [ "-f" ];
                subvolumes = {
                  "/root" = {
                    mountpoint = "/";
                    mountOptions = [
                      "compress=zstd"
                      "noatime"
                    ];
                  };
                  "/home" = {
                    mountpoint = "/home";
                    mountOptions = [
                      "compress=zstd"
                      "noatime"
                    ];
                  };
                  "/nix" = {
                    mountpoint = "/nix";
                    mountOptions = [
                      "compress=zstd"
                      "noatime"
                    ];
                  };
                  "/swap" = {
                    mountpoint = "/.swapvol";
                    swap.swapfile.size = "16G";
                  };
                };
              };
            };
          };
        };
      };
    };
  };
}
