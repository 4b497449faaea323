from tnrnn.cli import main

raise SystemExit(main())
