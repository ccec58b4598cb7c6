"""``python -m monitor.demo``: the demo without the rest of the command line."""

from monitor.demo.command import demo_command

demo_command(prog_name="cqc-monitor demo")
