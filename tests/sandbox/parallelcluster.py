"""What AWS has that ParallelCluster 3.16.1 looks for, so its real CLI runs against the sandbox, and the pace of a
cluster's CloudFormation stack for the sandbox's `pcluster` (pcluster_standin.py).

Server side (install(), from server.install_extensions): the official ParallelCluster AMIs in every region (the AMI
list that MOTO_AMIS_PATH would replace; added to moto's default list instead, so every other AMI stays) and the
AWS-managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES: AmazonSSMManagedInstanceCore, CloudWatchAgentServerPolicy,
... exist as they do in an account). Client side (seed_network()): what an operator's account holds before a
create: a VPC with a public subnet (internet gateway route) and a private one (reference/emulation.md §6).

moto completes and deletes stacks at once. A cluster's stack instead moves through CREATE_IN_PROGRESS ->
CREATE_COMPLETE and DELETE_IN_PROGRESS -> DELETE_COMPLETE, one step per describe of the stand-in (model
"pcluster::cluster", immediate by default; slow it with POST /_sandbox/lifecycle {"model": "pcluster::cluster",
"progression": "manual", "times": N}). Control route /_sandbox/pcluster-stacks, JSON {"stack_name", "region"}:
POST with "phase": "create" | "delete" starts a phase; GET observes the stack once (advances it) and returns its
status, which moto's DescribeStacks shows too.
"""

import os
import threading

PCLUSTER_VERSION = "3.16.1"
# (image name part, os) for the official images of ParallelCluster 3.16.1 the configs here can ask for
OFFICIAL_IMAGES = {
    "ubuntu2204": ("ubuntu-2204-lts-hvm", "ami-0d4a5ca0000221ee0"),
    "ubuntu2404": ("ubuntu-2404-lts-hvm", "ami-0d4a5ca0000241ee0"),
    "alinux2023": ("amzn2023-hvm", "ami-0d4a5ca0000023a10"),
    "rhel9": ("rhel9-hvm", "ami-0d4a5ca00000009e9"),
}
VPC_CIDR = "10.0.0.0/16"
PUBLIC_SUBNET_CIDR = "10.0.0.0/24"
PRIVATE_SUBNET_CIDR = "10.0.1.0/24"


def official_amis():
    """moto AMI records of the official ParallelCluster images (owned by amazon once loaded)."""
    return [
        {
            "ami_id": ami_id,
            "name": f"aws-parallelcluster-{PCLUSTER_VERSION}-{part}-x86_64-202511200000 2025-11-20T00-00-00.000Z",
            "description": f"AWS ParallelCluster AMI for {os_name}, kernel-6.8, lustre-2.15, efa-1.43",
            "owner_id": "247102896272",
            "public": True,
            "virtualization_type": "hvm",
            "architecture": "x86_64",
            "state": "available",
            "platform": None,
            "image_type": "machine",
            "hypervisor": "xen",
            "root_device_name": "/dev/sda1",
            "root_device_type": "ebs",
            "sriov": "simple",
            "creation_date": "2025-11-20T00:00:00.000Z",
        }
        for os_name, (part, ami_id) in OFFICIAL_IMAGES.items()
    ]


MODEL_CLUSTER = "pcluster::cluster"
PHASES = {"create": ("CREATE_IN_PROGRESS", "CREATE_COMPLETE"), "delete": ("DELETE_IN_PROGRESS", "DELETE_COMPLETE")}
_LOCK = threading.Lock()
_STACK_PHASES = {}  # (region, stack name) -> moto ManagedState of the phase
# moto is imported inside the server-side functions: the stand-in imports this module in the pcluster venv.


def _moto_stacks(region, name):
    from moto.cloudformation.models import cloudformation_backends

    for regions in cloudformation_backends.values():
        backend = regions.get(region) if region in regions else None
        for stack in backend.stacks.values() if backend else []:
            if stack.name == name:
                yield stack


def control_stacks(method, payload):
    from moto.moto_api._internal.managed_state_model import ManagedState

    key = (payload["region"], payload["stack_name"])
    with _LOCK:
        if method == "POST":
            if payload.get("phase") not in PHASES:
                raise ValueError(f"phase must be one of {', '.join(PHASES)}")
            _STACK_PHASES[key] = ManagedState(MODEL_CLUSTER, [PHASES[payload["phase"]]])
        phase = _STACK_PHASES.get(key)
        if phase is None:
            return 404, {"error": f"no cluster stack {key[1]} in {key[0]}"}
        if method == "GET":
            phase.advance()
            status = phase.status
        else:  # the answer to a create or delete shows the first state, as CloudFormation's does
            status = PHASES[payload["phase"]][0]
        for stack in _moto_stacks(*key):
            stack.status = status
        if status == "DELETE_COMPLETE":
            del _STACK_PHASES[key]
        return 200, {"stack_name": key[1], "region": key[0], "status": status}


def _on_reset():
    from moto.moto_api import state_manager

    with _LOCK:
        _STACK_PHASES.clear()
        state_manager.unset_transition(MODEL_CLUSTER)
        state_manager.register_default_transition(MODEL_CLUSTER, transition={"progression": "immediate"})


def install(state):
    """Before the first EC2/IAM backend is built: add the official AMIs, load the AWS-managed IAM policies; register
    the stack pace model and its control route."""
    from moto.ec2.models import amis

    known = {ami["ami_id"] for ami in amis.AMIS}
    amis.AMIS.extend(ami for ami in official_amis() if ami["ami_id"] not in known)
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    _on_reset()
    state.add_control("pcluster-stacks", control_stacks)
    if _on_reset not in state.reset_hooks:
        state.on_reset(_on_reset)


def seed_network(ec2):
    """A VPC with a public subnet (routed to an internet gateway) and a private one: {"vpc_id", "public_subnet_id",
    "private_subnet_id"}. ParallelCluster's dry run checks the subnets and their VPC."""
    vpc = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    public = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock=PUBLIC_SUBNET_CIDR,
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "Public Subnet"}]}],
    )["Subnet"]["SubnetId"]
    private = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock=PRIVATE_SUBNET_CIDR,
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "Private Subnet"}]}],
    )["Subnet"]["SubnetId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
    return {"vpc_id": vpc, "public_subnet_id": public, "private_subnet_id": private}
