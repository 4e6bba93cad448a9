from ninja import NinjaAPI

api = NinjaAPI(title="tongdai API", version="1", urls_namespace="api-v1")
