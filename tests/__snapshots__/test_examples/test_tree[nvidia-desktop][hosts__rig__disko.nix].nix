# Disk layout for rig, applied by disko when the machine is installed.
#
#   layout: ext4    encrypt: false    swap: 32G    impermanence: false
#   device: /dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S73WNJ0W123456
#
# Changing anything here means reformatting the disk: disko only creates
# layouts, it does not migrate data. Edit with care after the install.
{
  disko.devices = {
    disk.main = {
      type = "disk";
      device = "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB_S73WNJ0W123456";
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
            size = "32G";
            content = {
              type = "swap";
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
