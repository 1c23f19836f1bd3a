# Disk layout for vault, applied by disko when the machine is installed.
#
#   layout: zfs    encrypt: true    swap: 8G    impermanence: false
#   device: /dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PUNX0T123456A
#
# Changing anything here means reformatting the disk: disko only creates
# layouts, it does not migrate data. Edit with care after the install.
#
# The pool passphrase is read from /tmp/secret.key only while formatting:
#   nixos-anywhere --disk-encryption-keys /tmp/secret.key ./disk.key ...
# or write that file on the installer before running disko. At boot you are
# asked for it.
{
  disko.devices = {
    disk.main = {
      type = "disk";
      device = "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PUNX0T123456A";
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
          swap = {
            size = "8G";
            content = {
              type = "swap";
              # A fresh random key every boot: swap stays encrypted (no hibernation).
              randomEncryption = true;
            };
          };
          zfs = {
            size = "100%";
            content = {
              type = "zfs";
              pool = "zroot";
            };
          };
        };
      };
    };

    zpool.zroot = {
      type = "zpool";
      options.ashift = "12";
      rootFsOptions = {
        compression = "zstd";
        acltype = "posixacl";
        xattr = "sa";
        atime = "off";
        mountpoint = "none";
        # Native encryption for every dataset in the pool.
        encryption = "aes-256-gcm";
        keyformat = "passphrase";
        keylocation = "file:///tmp/secret.key";
      };
      # After formatting, ask for the passphrase at boot instead of reading the file.
      postCreateHook = "zfs set keylocation=prompt zroot";
      datasets = {
        root = {
          type = "zfs_fs";
          mountpoint = "/";
          options.mountpoint = "legacy";
        };
        nix = {
          type = "zfs_fs";
          mountpoint = "/nix";
          options.mountpoint = "legacy";
        };
        home = {
          type = "zfs_fs";
          mountpoint = "/home";
          options.mountpoint = "legacy";
        };
      };
    };
  };
}
