"""The AWS Price List API (``pricing:GetProducts``) for the sandbox: moto has none.

A handful of real-looking us-west-2 products (on-demand Linux instances, gp3, FSx for Lustre SCRATCH_2 and
PERSISTENT_2 at 125 MB/s/TiB, public IPv4), shaped like the real answer: ``PriceList`` is a list of JSON strings with
``product.attributes`` and ``terms.OnDemand``. ``TERM_MATCH`` filters match ``ServiceCode`` and the attributes; any
other product, such as an instance type not listed here, is simply absent. DescribeSpotPriceHistory stays moto's.
"""

import json

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from sandbox.control import _SIGV4_SCOPE  # the request's signing service, as the audit log names it

REGION = "us-west-2"

_INSTANCE_HOURLY = {  # Linux, shared tenancy, on demand, us-west-2
    "r7i.2xlarge": "0.5292000000",
    "r7i.4xlarge": "1.0584000000",
    "m7i.2xlarge": "0.4032000000",
    "m7i.48xlarge": "9.6768000000",
    "r7i.48xlarge": "12.7008000000",
}


def _product(sku, service_code, family, attributes, usd, unit):
    return {
        "product": {
            "productFamily": family,
            "sku": sku,
            "attributes": dict(attributes, regionCode=REGION, location="US West (Oregon)", servicecode=service_code),
        },
        "serviceCode": service_code,
        "terms": {
            "OnDemand": {
                f"{sku}.JRTCKXETXF": {
                    "offerTermCode": "JRTCKXETXF",
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "priceDimensions": {
                        f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                            "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                            "unit": unit,
                            "description": f"{usd} USD per {unit}",
                            "beginRange": "0",
                            "endRange": "Inf",
                            "pricePerUnit": {"USD": usd},
                        }
                    },
                    "termAttributes": {},
                }
            }
        },
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    }


def products():
    found = [
        _product(
            "EC2%s" % index,
            "AmazonEC2",
            "Compute Instance",
            {
                "instanceType": instance_type,
                "operatingSystem": "Linux",
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
                "usagetype": f"USW2-BoxUsage:{instance_type}",
            },
            usd,
            "Hrs",
        )
        for index, (instance_type, usd) in enumerate(sorted(_INSTANCE_HOURLY.items()))
    ]
    found += [
        _product(
            "EBSGP3",
            "AmazonEC2",
            "Storage",
            {"volumeApiName": "gp3", "usagetype": "USW2-EBS:VolumeUsage.gp3"},
            "0.0800000000",
            "GB-Mo",
        ),
        _product(
            "FSXSCR2",
            "AmazonFSx",
            "Storage",
            {"fileSystemType": "Lustre", "deploymentOption": "Scratch_2", "storageType": "SSD"},
            "0.1400000000",
            "GB-Mo",
        ),
        _product(
            "FSXPER2",
            "AmazonFSx",
            "Storage",
            {
                "fileSystemType": "Lustre",
                "deploymentOption": "Persistent_2",
                "throughputCapacity": "125",
                "storageType": "SSD",
            },
            "0.1450000000",
            "GB-Mo",
        ),
        _product(
            "VPCIPV4",
            "AmazonVPC",
            "VPC Public IPv4 Address",
            {"group": "VPCPublicIPv4InUseAddress", "usagetype": "USW2-PublicIPv4:InUseAddress"},
            "0.0050000000",
            "Hrs",
        ),
    ]
    return found


def _matches(product, service_code, filters):
    attributes = dict(product["product"]["attributes"], productFamily=product["product"]["productFamily"])
    return product["serviceCode"] == service_code and all(
        attributes.get(item["Field"]) == item["Value"] for item in filters if item.get("Type") == "TERM_MATCH"
    )


def pricing_app(environ, start_response):
    """GetProducts (one page), DescribeServices; other operations answer like an unknown action."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    request = json.loads(body or b"{}")
    operation = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1]
    if operation == "GetProducts":
        found = [
            json.dumps(p) for p in products() if _matches(p, request.get("ServiceCode"), request.get("Filters") or [])
        ]
        status, payload = "200 OK", {"FormatVersion": "aws_v1", "PriceList": found}
    elif operation == "DescribeServices":
        codes = sorted({p["serviceCode"] for p in products()})
        status, payload = "200 OK", {"FormatVersion": "aws_v1", "Services": [{"ServiceCode": c} for c in codes]}
    else:
        status, payload = "400 Bad Request", {"__type": "InvalidAction", "message": f"{operation} is not served"}
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))])
    return [data]


def install(state):  # pylint: disable=unused-argument
    """Answer SigV4 requests for the "pricing" service with ``pricing_app``, before moto looks for a backend."""
    original = DomainDispatcherApplication.get_application
    if getattr(original, "daylily_pricing", False):
        return

    def get_application(self, environ):
        scope = _SIGV4_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope and scope.group(1) == "pricing":
            return pricing_app
        return original(self, environ)

    get_application.daylily_pricing = True
    DomainDispatcherApplication.get_application = get_application
