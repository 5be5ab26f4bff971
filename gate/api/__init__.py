"""Everything that talks to the Huawei Cloud APIs over HTTP lives in this package."""
