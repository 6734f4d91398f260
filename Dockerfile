# Builds the AkkaRedis server image used by docker-compose.yml.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/AkkaRedis.Server -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
EXPOSE 6379
VOLUME /data
ENTRYPOINT ["dotnet", "akkaredis-server.dll", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"]
