// Command mysqlgen renders the Kubernetes manifests of a replicated MySQL or
// MariaDB cluster from a small spec.
package main

func main() {
	Main()
}
