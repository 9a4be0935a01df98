import sys

from portsock._cli import main

sys.exit(main())
