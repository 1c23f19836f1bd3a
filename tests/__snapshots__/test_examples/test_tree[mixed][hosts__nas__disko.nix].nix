# Disk layout for nas, applied by disko when the machine is installed.
#
#   layout: ext4    encrypt: false    swap: none    impermanence: false
#   device: /dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNZ0R123456A
#
# Changing anything here means reformatting the disk: disko only creates
# layouts, it does not migrate data. Edit with care after the install.
{
  disko.devices = {
    disk.main = {
      type = "disk";
      device = "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_1TB_S6PTNZ0R123456A";
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
              type = "filesystem";
              format = "ext4";
              mountpoint = "/";
            };
          };
        };
      };
    };
  };
}
