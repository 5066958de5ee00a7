from a64triage.cli import main

raise SystemExit(main())
