# The VM test of nas: it boots this host's own configuration.nix in QEMU
# and checks what the answers promise. Run it (Linux with KVM) with
#   nix build .#checks.x86_64-linux.vm-nas
# `nix flake check` runs it too. Only what a VM cannot have is replaced below,
# each with the reason; everything else is the machine you install.
let
  # What the answers promise; the test script holds the VM to it.
  expected = {
    hostName = "nas";
    timeZone = "UTC";
    # Each admin and the way in and up to root that README.md describes.
    admins = [
      {
        user = "ivy";
        ssh = true;
        consolePassword = false;
        sudo = "password";
      }
    ];
    impermanence = false;
  };
  # The password every admin with one gets in the VM: a test value, not a secret.
  password = "nixbtw-vm-test";
in
{
  name = "vm-nas";

  nodes.machine =
    { lib, pkgs, ... }:
    let
      passwordUsers = [ "ivy" ];
      # The host decrypts its secrets with its SSH host key, which stays on the
      # machine. The test makes its own age key at build time and encrypts the
      # test password's hash to it, so no key is ever kept in this repository.
      testSecrets =
        pkgs.runCommand "vm-test-secrets"
          {
            nativeBuildInputs = [
              pkgs.age
              pkgs.mkpasswd
              pkgs.sops
            ];
          }
          ''
            mkdir $out
            age-keygen -o $out/key.txt
            recipient=$(age-keygen -y $out/key.txt)
            hash=$(mkpasswd --method=sha-512 ${password})
            {
              echo "users:"
              for user in ${lib.escapeShellArgs passwordUsers}; do
                printf '  %s:\n    hashed-password: "%s"\n' "$user" "$hash"
              done
            } > plain.yaml
            sops --encrypt --age "$recipient" plain.yaml > $out/secrets.yaml
          '';
    in
    {
      imports = [ ./configuration.nix ];

      # The VM is its own hardware. hardware-configuration.nix describes the real
      # machine (and nixbtw's placeholder asserts until it is replaced), so the
      # VM leaves it out; QEMU's virtual disks replace every filesystem, swap
      # and LUKS device disko declares (qemu-vm.nix overrides them).
      disabledModules = [ ./hardware-configuration.nix ];
      virtualisation.memorySize = 2048;

      # The test key reaches the VM over a shared folder, mounted before
      # activation decrypts anything.
      virtualisation.sharedDirectories.vm-test-secrets = {
        source = "${testSecrets}";
        target = "/vm-test-secrets";
      };
      sops.defaultSopsFile = lib.mkForce "${testSecrets}/secrets.yaml";
      # The test's file is built, not in the repository, so it cannot be read
      # while the configuration is evaluated.
      sops.validateSopsFiles = false;
      sops.age.sshKeyPaths = lib.mkForce [ ];
      sops.age.keyFile = "/vm-test-secrets/key.txt";
    };

  # The checks are the same for every host: ../../lib/vm-test.py.
  testScript = ''
    import json

    expected = json.loads(${builtins.toJSON (builtins.toJSON expected)})
    password = ${builtins.toJSON password}

    ${builtins.readFile ../../lib/vm-test.py}
  '';
}
