import { useSession } from "../auth/session.tsx";
import { Loading } from "../ui/kit.tsx";
import { Shell } from "./Shell.tsx";
import { SignIn } from "./SignIn.tsx";

export function App() {
  const { status } = useSession();
  if (status === "loading") return <Loading />;
  return status === "signed-in" ? <Shell /> : <SignIn />;
}
